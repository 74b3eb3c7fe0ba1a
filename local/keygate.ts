/** `npm run local -- [options]`: `keygate local` from the sources (the package runs the same code bundled). */
import { main } from './keygate-cli';

main(process.argv.slice(2));
