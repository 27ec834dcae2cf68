/* Copy buttons of a web form's snippets. */
document.addEventListener("click", function (event) {
  var button = event.target.closest("button.copy");
  if (!button) { return; }
  var box = document.querySelectorAll("textarea.snippet")[Number(button.dataset.copy)];
  if (!box) { return; }
  box.select();
  var done = function () { button.textContent = "Copied"; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(box.value).then(done, function () { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});
