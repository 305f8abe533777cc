// The console's stylesheet, inlined into the page under its CSP nonce.
export const CONSOLE_STYLE = `
:root{--ink:#1d2330;--muted:#5b6475;--line:#e3e6ec;--bg:#f6f7f9;--blue:#1d4ed8;--green:#15803d;--red:#b91c1c;--amber:#b45309}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:var(--bg)}
.top{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap;padding:1rem 1.5rem;background:#fff;border-bottom:1px solid var(--line)}
h1{font-size:1.25rem;margin:0}h2{font-size:1rem;margin:0 0 .75rem}
.sub{margin:.25rem 0 0;color:var(--muted)}
.badge{display:inline-block;vertical-align:middle;background:#fde68a;border-radius:4px;padding:0 .4rem;font-size:.75rem;font-weight:600}
main{max-width:82rem;margin:0 auto;padding:1.25rem 1.5rem 3rem}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem;margin-bottom:1.25rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);white-space:nowrap}
th{font-weight:600;color:var(--muted);font-size:.8rem}
th[scope=row]{color:var(--ink);font-size:inherit}
.data td.num,.data th.num{text-align:right;font-variant-numeric:tabular-nums}
.data th:first-child{position:sticky;left:0;background:#fff}
.muted{color:var(--muted);font-weight:400}
button{font:inherit;padding:.3rem .8rem;border-radius:6px;border:1px solid #c4c9d4;background:#fff;color:var(--ink);cursor:pointer;margin-right:.35rem}
button:hover{border-color:var(--ink)}button:disabled{opacity:.5;cursor:default}
button.primary,#run-cron{background:var(--blue);border-color:var(--blue);color:#fff}
button.danger{color:var(--red);border-color:#f1b5b5}
.cron{display:flex;align-items:center;gap:.6rem}
.pill{display:inline-block;border-radius:999px;padding:0 .55rem;font-size:.8rem;font-weight:600;background:#eef0f4;color:var(--muted)}
.pill.ok{background:#dcfce7;color:var(--green)}.pill.bad{background:#fee2e2;color:var(--red)}.pill.warn{background:#fef3c7;color:var(--amber)}
.warning{background:#fef3c7;border:1px solid #f59e0b;border-radius:8px;padding:.75rem 1rem;margin-bottom:1rem}
.message{border-radius:8px;padding:.6rem 1rem;margin-bottom:1rem;background:#e0e7ff}
.message.error{background:#fee2e2;color:var(--red)}
.choice{border:1px solid #93a5f5;border-radius:8px;padding:.75rem 1rem;margin-bottom:1rem;background:#fff}
.choice p{margin:0 0 .5rem}.choice-list{margin-bottom:.75rem}.choice-list label{display:block;padding:.15rem 0}
#providers tbody+tbody{border-top:2px solid var(--line)}
th[scope=rowgroup]{color:var(--ink);font-size:inherit;white-space:normal}
.slug{display:block;font-size:.8rem}.slug:empty{display:none}
button.connect{margin:0 0 0 .5rem}
td.actions{white-space:normal}td.actions button{margin:.1rem .3rem .1rem 0}
.controls{display:flex;align-items:center;gap:.5rem;flex-wrap:wrap;margin-bottom:.75rem}
select{font:inherit;padding:.25rem .4rem;border-radius:6px;border:1px solid #c4c9d4;max-width:18rem}
.chart-box{margin:0 0 1rem}
#chart{width:100%;height:auto;display:block;background:#fbfcfd;border:1px solid var(--line);border-radius:6px}
figcaption{margin-top:.25rem;font-size:.8rem}
`;
