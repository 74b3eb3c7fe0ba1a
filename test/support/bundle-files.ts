/** The files of a function's bundle as the build writes them (lib/internal/lambda-entries.ts). */
import type { LambdaEntryName } from '../../lib/internal/lambda-entries';
import { lambdaBundleFiles } from '../../lib/internal/lambda-entries';

/** Every file of a function's bundle: its JavaScript files and their source maps, sorted. */
export function bundleFiles(name: LambdaEntryName): string[] {
  return lambdaBundleFiles(name)
    .flatMap((file) => [file, `${file}.map`])
    .sort();
}
