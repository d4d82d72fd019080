export { type PageEntry, renderSessionHtml, type SessionPage } from "./html.js";
export { pageNodes, sessionHtml } from "./session-page.js";
export { type ShareOptions, shareHtml } from "./share.js";
