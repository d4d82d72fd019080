export { type PageEntry, renderSessionHtml, type SessionPage } from "./html.js";
export { sessionHtml } from "./session-page.js";
export { type ShareOptions, shareHtml } from "./share.js";
