export { writeFileAtomic } from "./atomic-write.js";
export { groveHome } from "./grove-home.js";
export { descendantsOf, processGroupOf } from "./process-table.js";
export { shellJoin, shellQuote } from "./quote.js";
export { readTarHeaders, tarEnd, tarEntry } from "./tar.js";
