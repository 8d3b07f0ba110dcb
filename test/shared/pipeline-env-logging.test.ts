/**
 * The deployment name the stacks give every function and task (PIPELINE_ENV) reaches the logs: the
 * logger every entry point builds stamps it on each line.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PIPELINE_ENV } from '../../core/config/environment-names.ts';
import { serviceLogger } from '../../lambdas/shared/service-logger.ts';

function captureLines(): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

describe('serviceLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stamps the service and the deployment from PIPELINE_ENV on every line', () => {
    const lines = captureLines();
    const logger = serviceLogger('aggregator', { [PIPELINE_ENV]: 'staging' });
    logger.info('batch applied');
    logger.info('state saved');
    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed).toHaveLength(2);
    for (const line of parsed) expect(line).toMatchObject({ service: 'aggregator', environment: 'staging' });
  });

  it('says `local` when no deployment is set', () => {
    const lines = captureLines();
    serviceLogger('inference', {}).info('tick');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ service: 'inference', environment: 'local' });
  });
});
