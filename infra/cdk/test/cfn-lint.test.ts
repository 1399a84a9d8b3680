import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../lib/functions';
import { synth } from './helpers';

/** cfn-lint from PATH (the Makefile puts the project's .venv first) or from the venv. */
function cfnLint(): string {
  const venv = path.join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');
  if (fs.existsSync(venv)) return venv;
  const which = spawnSync('sh', ['-c', 'command -v cfn-lint'], { encoding: 'utf8' });
  if (which.status === 0) return which.stdout.trim();
  throw new Error('cfn-lint is not installed: run `scripts/services.sh venv` (or `make test`, which does)');
}

describe('cfn-lint', () => {
  test.each([
    ['the whole platform', {}, true],
    ['the rebalance platform alone', {}, false],
    ['with replicas in two more regions', { 'ballast:replicaRegions': 'us-west-2,eu-west-1' }, true],
  ] as const)('%s passes cfn-lint (ignores only in .cfnlintrc, each with its reason)', (_name, context, models) => {
    const { json } = synth(context, { nag: false, models });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ballast-cfn-'));
    const file = path.join(dir, 'Ballast.template.json');
    fs.writeFileSync(file, JSON.stringify(json, null, 1));
    const run = spawnSync(cfnLint(), ['--config-file', path.join(__dirname, '..', '.cfnlintrc'), '--', file], { encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('cfn-lint reports a broken template (the test can fail)', () => {
    const { json } = synth({}, { nag: false, models: false });
    const broken = JSON.parse(JSON.stringify(json));
    const [id] = Object.entries(broken.Resources).find(([, r]: any) => r.Type === 'AWS::SQS::Queue')!;
    broken.Resources[id].Properties.VisibilityTimeout = 'an hour';
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ballast-cfn-')), 'broken.json');
    fs.writeFileSync(file, JSON.stringify(broken));
    const run = spawnSync(cfnLint(), ['--config-file', path.join(__dirname, '..', '.cfnlintrc'), '--', file], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/E3012|VisibilityTimeout/);
  });
});
