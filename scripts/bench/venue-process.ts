/**
 * The local venue in a child process, so that a benchmark's exchange runs on its own core like a
 * remote exchange would. Takes its options as JSON in argv[2]; sends { type: 'listening', wsUrl }
 * and, when its market has ended, { type: 'ended', stats } over IPC; closes on 'close'.
 */
import { startVenue, type VenueOptions } from '../../local/venue/index.ts';

const venue = await startVenue(JSON.parse(process.argv[2] ?? '{}') as VenueOptions);
if (process.env.VENUE_CPU_PROFILE) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  void venue.marketEnded.then(async () => {
    const { profile } = await session.post('Profiler.stop');
    (await import('node:fs')).writeFileSync(process.env.VENUE_CPU_PROFILE as string, JSON.stringify(profile));
  });
}
process.send?.({ type: 'listening', wsUrl: venue.wsUrl });
process.on('message', async (m) => {
  if (m === 'close') {
    await venue.close();
    process.exit(0);
  }
});
await venue.marketEnded;
// Let the socket drain what the market produced last before reporting what was sent.
await new Promise((r) => setTimeout(r, 200));
process.send?.({ type: 'ended', stats: venue.stats() });
