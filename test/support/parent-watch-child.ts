/** A stand-in for `npm start`'s node process: watches its launch chain and exits when orphaned. */
import { watchParent } from '../../local/parent-watch.ts';

watchParent(() => process.exit(0));
// The watch timer is unref'd (it must not keep a finished run alive): this one keeps the stand-in up.
setInterval(() => {}, 1000);
process.stdout.write(`watching ${process.pid}\n`);
