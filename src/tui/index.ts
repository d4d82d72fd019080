export { navigateConversation } from "./conversation.js";
export { FILTER_MODES, type FilterMode } from "./navigator-model.js";
export { runPicker } from "./picker.js";
export type { PickerSession } from "./picker-model.js";
export { navigateSandbox } from "./sandbox.js";
