/** Workflow entry point bundled by the worker. */
export { release } from './release';
export { rollback } from './rollback';
export { lane } from './lane';
export { freeze } from './freeze';
export { deliveryLedger } from './delivery-ledger';
export { githubWriter } from './github-writer';
export { githubRecordBatch } from './github-record-batch';
export { slackBudget } from './slack-budget';
export { releaseSlack } from './release-slack-messenger';
