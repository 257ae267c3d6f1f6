// A box that scrolls sideways (a wide equation, table or output) can be scrolled with the
// keyboard too: give it focus (WCAG 2.1.1; axe's scrollable-region-focusable).
window.addEventListener("load", () => {
  const selector = "div.math, mjx-container[display='true'], div.cell_output, div.output, main table";
  for (const el of document.querySelectorAll(selector)) {
    if (el.scrollWidth > el.clientWidth + 1 && !el.hasAttribute("tabindex")) {
      el.setAttribute("tabindex", "0");
    }
  }
});
