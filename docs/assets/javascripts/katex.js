// Typeset math with the vendored KaTeX (no third-party request). pymdownx.arithmatex
// (generic mode) leaves \( \) and \[ \] in the page; $ delimiters cover notebook cells.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
  });
});
