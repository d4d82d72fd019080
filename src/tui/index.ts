export { navigateConversation } from "./conversation.js";
export { FILTER_MODES, type FilterMode } from "./navigator-model.js";
