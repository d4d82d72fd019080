/** The exported page's stylesheet: light and dark by the reader's system setting. */
export const pageStyle = `
:root { color-scheme: light dark; --bg: #fafafa; --fg: #1d1d1f; --muted: #6b6b75; --card: #fff; --line: #dcdce2;
  --user: #e8f0fe; --tool: #f3f3f5; --accent: #2f6fdf; --path: #fff6d6; }
@media (prefers-color-scheme: dark) { :root { --bg: #18181c; --fg: #e6e6ea; --muted: #9a9aa6; --card: #222228;
  --line: #34343c; --user: #1f2a40; --tool: #26262d; --accent: #7aa7ff; --path: #3a3420; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, sans-serif; background: var(--bg); color: var(--fg);
  height: 100vh; display: flex; flex-direction: column; overflow: hidden; }
header { padding: 12px 16px; border-bottom: 1px solid var(--line); flex: none; max-height: 45vh; overflow: auto; }
h1 { font-size: 18px; margin: 0 0 8px; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 8px; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; font-size: 12px; margin-bottom: 8px; }
th, td { padding: 2px 8px; border: 1px solid var(--line); text-align: right; } tbody th { text-align: left; }
#layout { display: grid; grid-template-columns: minmax(240px, 32%) 1fr; flex: 1; min-height: 0; }
#sidebar { border-right: 1px solid var(--line); overflow: auto; padding: 8px; }
#search { width: 100%; padding: 4px 6px; margin-bottom: 6px; }
#filters { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 6px; }
.filter { font-size: 12px; padding: 2px 6px; border: 1px solid var(--line); background: var(--card); color: var(--fg); border-radius: 4px; cursor: pointer; }
.filter.active { border-color: var(--accent); color: var(--accent); }
#tree-status { color: var(--muted); font-size: 12px; margin-bottom: 4px; }
#tree { list-style: none; margin: 0; padding: 0; font-size: 12px; }
.node { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; border-radius: 3px; }
.node a { color: inherit; text-decoration: none; }
.node.on-path { background: var(--path); } .node.selected { outline: 2px solid var(--accent); }
.node.leaf a::after { content: "  ← leaf"; color: var(--muted); }
.label { display: inline-block; margin-left: 6px; padding: 0 4px; border-radius: 3px; background: var(--accent); color: #fff; font-size: 11px; }
#messages { overflow: auto; padding: 12px 16px; }
.entry { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin-bottom: 8px; }
.entry.selected { border-color: var(--accent); }
.entry-label, .entry-session_info, .entry-custom, .entry-model_change, .entry-thinking_level_change {
  padding: 2px 10px; background: transparent; border-style: dashed; font-size: 12px; }
.entry-label .entry-head, .entry-session_info .entry-head, .entry-custom .entry-head, .entry-model_change .entry-head,
.entry-thinking_level_change .entry-head { margin-bottom: 0; }
.entry-user { background: var(--user); } .entry-toolResult, .entry-bashExecution { background: var(--tool); }
.entry-head { display: flex; gap: 8px; align-items: baseline; font-size: 12px; color: var(--muted); margin-bottom: 4px; }
.kind { font-weight: 600; color: var(--fg); } .permalink { margin-left: auto; color: var(--muted); }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; font: 12px/1.4 ui-monospace, monospace; }
.tool-call { border-left: 3px solid var(--accent); padding-left: 8px; margin: 4px 0; }
.tool-name { font-weight: 600; font-family: ui-monospace, monospace; }
details summary { cursor: pointer; color: var(--muted); } .tool-output.error summary { color: #d33; }
.meta { color: var(--muted); font-size: 12px; }
.image { max-width: 100%; }
`;
