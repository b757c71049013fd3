// The staff console's listing photo upload (/staff/listings/<id>): sends the chosen file as the
// body of a PUT with the session's CSRF token in the X-CSRF-Token header, then shows the listing
// again. The server checks the size and, by the file's first bytes, that it is a JPEG, PNG or WebP.
(function () {
  "use strict";
  var form = document.getElementById("listing-photo-form");
  if (!form) return;
  var input = form.querySelector('input[type="file"]');
  var button = form.querySelector('button[type="submit"]');
  var status = document.getElementById("listing-photo-status");
  var maxBytes = Number(form.dataset.maxBytes);

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "notice";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files && input.files[0];
    if (!file) return say("写真のファイルを選んでください。", true);
    if (file.size > maxBytes) return say("写真が大きすぎます（5MBまで）。縮小してから選び直してください。", true);
    if (file.size === 0) return say("ファイルが空です。写真を選び直してください。", true);
    button.disabled = true;
    say("アップロードしています…", false);
    return fetch(form.dataset.uploadUrl, {
      method: "PUT",
      headers: { "X-CSRF-Token": form.dataset.csrf, "Content-Type": "application/octet-stream" },
      body: file,
      credentials: "same-origin",
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (result) {
            if (response.ok && result.next) {
              window.location.assign(result.next);
              return;
            }
            say(result.error || "写真を登録できませんでした。時間をおいて、もう一度お試しください。", true);
            button.disabled = false;
          });
      })
      .catch(function () {
        say("通信できませんでした。ネットワークを確かめて、もう一度お試しください。", true);
        button.disabled = false;
      });
  });
})();
