// The staff console's listing photo upload (/staff/listings/<id>): sends the chosen file as the
// body of a PUT with the session's CSRF token in the X-CSRF-Token header, then shows the listing
// again. The server checks the size and, by the file's first bytes, that it is a JPEG, PNG or WebP.
// A large photo straight from a phone (often 5–12 MB) is first scaled down in the browser to at most
// 2048 pixels on its long side, as a JPEG: quick to upload, and small enough for LINE's carousel.
(function () {
  "use strict";
  var form = document.getElementById("listing-photo-form");
  if (!form) return;
  var input = form.querySelector('input[type="file"]');
  var button = form.querySelector('button[type="submit"]');
  var status = document.getElementById("listing-photo-status");
  var maxBytes = Number(form.dataset.maxBytes);
  var MAX_EDGE = 2048;
  var SCALE_ABOVE_BYTES = 1024 * 1024;

  // The file to upload: `file` itself, or a smaller JPEG drawn from it (upright, as the camera meant).
  function prepared(file) {
    if (typeof createImageBitmap !== "function" || !/^image\/(jpeg|png)$/.test(file.type || "") || file.size <= SCALE_ABOVE_BYTES) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" })
      .then(function (bitmap) {
        var scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) {
          canvas.toBlob(
            function (blob) {
              resolve(blob && blob.size < file.size ? blob : file);
            },
            "image/jpeg",
            0.85,
          );
        });
      })
      .catch(function () {
        return file;
      });
  }

  function say(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "notice";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = input.files && input.files[0];
    if (!file) return say("写真のファイルを選んでください。", true);
    if (file.size === 0) return say("ファイルが空です。写真を選び直してください。", true);
    button.disabled = true;
    say("写真を準備しています…", false);
    return prepared(file).then(function (upload) {
      if (upload.size > maxBytes) {
        button.disabled = false;
        return say("写真が大きすぎます（5MBまで）。縮小してから選び直してください。", true);
      }
      say("アップロードしています…", false);
      return send(upload);
    });
  });

  function send(upload) {
    return fetch(form.dataset.uploadUrl, {
      method: "PUT",
      headers: { "X-CSRF-Token": form.dataset.csrf, "Content-Type": "application/octet-stream" },
      body: upload,
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
  }
})();
