/** What a command prints while a decision or control it sent waits for its answer to be sent for again. */
import { type LostAnswer, lostAnswerNotice } from '../release-client/update-once';

/** Says on stderr, before each repeat, that `what` is still being asked for and counts once. */
export function sayStillAsking(what: string): (lost: LostAnswer) => void {
  return (lost) => process.stderr.write(`runway: ${lostAnswerNotice(what, lost)}\n`);
}
