// The part of Lambda's Node.js runtime that loads and calls a handler, for a bundle copied out of
// cdk.out: `_HANDLER` is `<module>.<export>` (as in the template), resolved in LAMBDA_TASK_ROOT as
// <module>.js, .mjs or .cjs, imported as a module (top-level await runs: the init phase), then called
// once with the event in argv[2]. The outcome goes to argv[3] as JSON: { ok, result } or
// { ok: false, errorType, errorMessage }, errorType named as the runtime names it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [eventFile, outcomeFile] = process.argv.slice(2);
const write = (outcome) => writeFileSync(outcomeFile, JSON.stringify(outcome));
const fail = (errorType, error) => {
  write({
    ok: false,
    errorType,
    errorMessage: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
  process.exit(1);
};

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const match = /^([^.]+)\.(.+)$/.exec(process.env._HANDLER ?? '');
if (!taskRoot || !match) fail('Runtime.MalformedHandlerName', `Bad handler '${process.env._HANDLER}'.`);
const [, moduleName, exportName] = match;
const file = ['.js', '.mjs', '.cjs'].map((ext) => join(taskRoot, moduleName + ext)).find(existsSync);
if (!file) fail('Runtime.ImportModuleError', `Cannot find module '${moduleName}' in ${taskRoot}.`);

let handler;
try {
  handler = (await import(pathToFileURL(file).href))[exportName];
} catch (error) {
  fail('Runtime.ImportModuleError', error);
}
if (typeof handler !== 'function')
  fail('Runtime.HandlerNotFound', `${moduleName}.${exportName} is undefined or not exported.`);

const deadline = Date.now() + Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT ?? 30) * 1000;
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: 'local-invocation',
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  callbackWaitsForEmptyEventLoop: true,
};
try {
  const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
  write({ ok: true, result: result ?? null });
} catch (error) {
  fail(error instanceof Error ? error.name : 'Error', error);
}
// Lambda freezes the environment after the response; here the process simply ends (open sockets
// such as Redis connections would otherwise keep it alive).
process.exit(0);
