/**
 * How the dev server reads a namespace's search attributes. The Temporal CLI starts its dev server
 * reading them from the database on every use (`system.forceSearchAttributesCacheRefreshOnRead`),
 * so that one created while the server runs shows at once; the server's own default reads them
 * once and refreshes them every minute. At 2,000 releases that refresh-on-read was 395 cluster
 * metadata and 191 namespace reads per release before approval, each on the one SQLite connection
 * every workflow write waits for (README, "Running many releases"). Runway's dev server gets its
 * search attributes when it starts (`--search-attribute`, written before it serves) and never
 * adds one while it runs, so nothing waits for the minute's refresh.
 */
export const CACHED_SEARCH_ATTRIBUTES_CONFIG = { 'system.forceSearchAttributesCacheRefreshOnRead': false } as const;

/** The Temporal CLI dev server's own: a database read per use. */
export const REFRESHED_SEARCH_ATTRIBUTES_CONFIG = { 'system.forceSearchAttributesCacheRefreshOnRead': true } as const;
