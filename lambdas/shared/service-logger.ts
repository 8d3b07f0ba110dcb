/**
 * The one way an entry point (Lambda `index.ts`, container `main.ts`) builds its Powertools logger:
 * every line carries the service and the deployment it belongs to (PIPELINE_ENV, set by the stacks
 * on every function and task; `local` when unset), so one log query tells dev, staging and prod apart.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { PIPELINE_ENV } from '../../core/config/environment-names.ts';

export function serviceLogger(serviceName: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return new Logger({ serviceName, persistentKeys: { environment: env[PIPELINE_ENV] ?? 'local' } });
}
