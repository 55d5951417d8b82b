// Fills a "file_text" field (the payout CSV) from a chosen file, so nobody has to paste
// a spreadsheet export. UTF-8 first; Excel's "CSV" in a Chinese locale is GB18030.
(function () {
  "use strict";
  function decode(buffer) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(buffer);
    } catch (notUtf8) {
      return new TextDecoder("gb18030").decode(buffer);
    }
  }
  document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
    var target = document.getElementById(input.getAttribute("data-fills"));
    if (!target) { return; }
    input.hidden = false;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { return; }
      file.arrayBuffer().then(function (buffer) {
        target.value = decode(buffer).replace(/^\uFEFF/, "");
        target.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  });
}());
