// Typeset math with the vendored KaTeX (no third-party request). pymdownx.arithmatex
// (generic mode) wraps each formula in an element of class "arithmatex" holding \( \) or \[ \];
// notebook pages hold $ and $$ in their Markdown cells. Only those elements are searched: asking
// auto-render to search the whole body makes it walk every text node of every code listing,
// which measured 120-130 ms of blocking time on a page with a handful of formulas.
document$.subscribe(({ body }) => {
  const options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
  };
  for (const element of body.querySelectorAll(".arithmatex, .jp-RenderedMarkdown")) {
    renderMathInElement(element, options);
  }
});
