export { type PageEntry, renderSessionHtml, type SessionPage } from "./html.js";
export { type ShareOptions, shareHtml } from "./share.js";
