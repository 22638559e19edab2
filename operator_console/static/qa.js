/* QA player: the word being spoken is highlighted; clicking a word seeks to it. */
(function () {
  "use strict";
  var player = document.getElementById("player");
  var words = Array.prototype.slice.call(document.querySelectorAll("#transcript .w"));
  if (!player || !words.length) return;
  var starts = words.map(function (w) { return Number(w.dataset.start); });
  var current = null;

  function find(t) { // the last word that starts at or before t (binary search)
    var lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (starts[mid] <= t) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }
  function highlight() {
    var i = find(player.currentTime);
    var word = i >= 0 && player.currentTime <= Number(words[i].dataset.end) + 0.3 ? words[i] : null;
    if (word === current) return;
    if (current) current.classList.remove("now");
    if (word) { word.classList.add("now"); }
    current = word;
  }
  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);
  words.forEach(function (w) {
    w.addEventListener("click", function () {
      player.currentTime = Number(w.dataset.start);
      player.play();
    });
  });
})();
