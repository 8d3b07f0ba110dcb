// Worker-thread bootstrap: registers tsx's loader in this thread (module hooks are per thread), then
// runs the service module named in workerData. A bundled build would point the Worker at the bundle.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
