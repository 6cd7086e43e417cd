/**
 * Runs before every test file: test output should show failures, not the Temporal SDK's INFO
 * lines for each in-process worker start and stop, nor the AWS SDK's Node-version notice
 * (bin/runway.js turns that notice off for the CLI the same way).
 */
import { installQuietRuntime } from '../../src/temporal/runtime';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
installQuietRuntime();
