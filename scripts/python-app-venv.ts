/**
 * `npm run python-app:venv`: the Python example app's virtual environment, `.venv-python-app/`
 * (git-ignored): the pinned requirements of test/languages/python-app/requirements.txt (aws-cdk-lib,
 * constructs and the jsii runtime from PyPI), then the wheel `npm run build:languages` wrote into
 * dist-packages/python/.
 *
 * The wheel is installed without its declared dependencies: it asks for aws-cdk-lib >= 2.276.0 (the
 * package's peer minimum), and PyPI's newest aws-cdk-lib when this was written was 2.275.0; the
 * requirements file pins that one. `requirements.txt` then decides every version the app runs with.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
export const PYTHON_APP_DIR = path.join(ROOT, 'test', 'languages', 'python-app');
export const PYTHON_VENV = path.join(ROOT, '.venv-python-app');
export const VENV_PYTHON = path.join(PYTHON_VENV, 'bin', 'python');
const WHEEL_DIR = path.join(ROOT, 'dist-packages', 'python');

function mustRun(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

export function builtWheel(): string {
  const wheels = fs.existsSync(WHEEL_DIR) ? fs.readdirSync(WHEEL_DIR).filter((f) => f.endsWith('.whl')) : [];
  if (wheels.length !== 1) {
    throw new Error(
      `expected one wheel in ${WHEEL_DIR}, found ${wheels.length}: run \`npm run build:languages -- python\``,
    );
  }
  return path.join(WHEEL_DIR, wheels[0]);
}

export function createPythonAppVenv(): void {
  const wheel = builtWheel();
  if (!fs.existsSync(VENV_PYTHON)) mustRun(process.env.PYTHON ?? 'python3', ['-m', 'venv', PYTHON_VENV]);
  const pip = [VENV_PYTHON, '-m', 'pip', '--disable-pip-version-check', 'install', '--quiet'];
  mustRun(pip[0], [...pip.slice(1), '--requirement', path.join(PYTHON_APP_DIR, 'requirements.txt')]);
  mustRun(pip[0], [...pip.slice(1), '--no-deps', '--force-reinstall', wheel]);
}

if (require.main === module) {
  try {
    createPythonAppVenv();
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
