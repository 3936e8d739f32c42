/* The source page: mark the exact words a #char=S,E link names (RFC 5147 offsets).
   Every piece of a sentence carries its offsets (data-s, data-e); the pieces inside [S, E) get the
   class "quote-target". A same-origin file: the page's CSP allows no inline script. */
(function () {
  "use strict";
  var CHAR = /^#char=(\d+),(\d+)$/;

  function mark() {
    var match = CHAR.exec(window.location.hash);
    var pieces = document.querySelectorAll("p.sentence .piece");
    var first = null;
    for (var i = 0; i < pieces.length; i += 1) {
      var piece = pieces[i];
      var inside = false;
      if (match) {
        var s = parseInt(piece.getAttribute("data-s"), 10);
        var e = parseInt(piece.getAttribute("data-e"), 10);
        inside = s >= parseInt(match[1], 10) && e <= parseInt(match[2], 10) && e > s;
      }
      piece.classList.toggle("quote-target", inside);
      if (inside && first === null) { first = piece; }
    }
    if (first !== null) {
      first.scrollIntoView({ block: "center" });  /* the words in the middle, with their context */
    }
  }

  window.addEventListener("hashchange", mark);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
}());
