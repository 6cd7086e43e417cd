/**
 * Moved to src/config/revision-queries.ts (config may not import src/metrics): import from there.
 * This re-export only keeps the config's current imports compiling until they point there.
 */
export { DEFAULT_REVISION_QUERIES, QUERY_PLACEHOLDERS } from '../config/revision-queries';
