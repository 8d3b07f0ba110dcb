import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as names from '../../core/config/environment-names.ts';

const { ENVIRONMENT_NAMES, ...constants } = names;

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

describe('environment variable names', () => {
  it('are constants whose value is their own name, all listed once', () => {
    for (const [key, value] of Object.entries(constants)) expect(value).toBe(key);
    expect(new Set(ENVIRONMENT_NAMES).size).toBe(ENVIRONMENT_NAMES.length);
    expect([...ENVIRONMENT_NAMES].sort()).toEqual(Object.keys(constants).sort());
  });

  it('are pure: the module reads no environment', () => {
    const source = fs.readFileSync('core/config/environment-names.ts', 'utf8');
    expect(source).not.toMatch(/process\.env|^import /m);
  });

  it('are never spelled as string literals in the CDK code', () => {
    const offenders: string[] = [];
    for (const file of [...sourceFiles('lib'), ...sourceFiles('bin')]) {
      const source = fs.readFileSync(file, 'utf8');
      for (const name of ENVIRONMENT_NAMES) {
        if (source.includes(`'${name}'`) || source.includes(`"${name}"`)) offenders.push(`${file}: ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
