export { writeFileAtomic } from "./atomic-write.js";
export { shellJoin, shellQuote } from "./quote.js";
