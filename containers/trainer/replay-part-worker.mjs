// Worker-thread bootstrap: registers tsx's loader in this thread (module hooks are per thread), then
// runs the TypeScript entry. A bundled build (esbuild) points the Worker at the bundle instead.
import { register } from 'tsx/esm/api';

register();
await import('./replay-part-worker.ts');
