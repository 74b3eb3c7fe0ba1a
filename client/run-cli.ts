/** Entry point of the keygate-call command (bin/keygate-call.js loads this). */
import { main } from './cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`keygate-call: ${(e as Error)?.message ?? String(e)}`);
    process.exitCode = 2;
  },
);
