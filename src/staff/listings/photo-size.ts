import { imageSize } from "image-size";
import type { ImageType } from "../../line/content-client.js";

// How many pixels a listing photo may have, read from the file's header before anything decodes it.
// A photo is drawn in residents' LINE app and staff's browsers, which hold it decoded (4 bytes a
// pixel): a 16000×16000 PNG of a few hundred kilobytes would take 1 GB there. 25 million pixels
// (about 6100×4100) takes every ordinary camera and phone photo; the console's upload script scales
// large photos down to 2048 pixels on the long side before sending them anyway.
export const PHOTO_MAX_PIXELS = 25_000_000;

const SIZE_TYPES: Record<string, ImageType> = { jpg: "image/jpeg", png: "image/png", webp: "image/webp" };

export type PhotoSizeCheck = { ok: true; width: number; height: number } | { ok: false; tooLarge: boolean; error: string };

export function checkPhotoSize(bytes: Buffer, type: ImageType): PhotoSizeCheck {
  let size: { width: number; height: number; type?: string };
  try {
    size = imageSize(bytes);
  } catch {
    return unreadable();
  }
  if (SIZE_TYPES[size.type ?? ""] !== type || !(size.width > 0) || !(size.height > 0)) return unreadable();
  if (size.width * size.height > PHOTO_MAX_PIXELS) {
    return {
      ok: false,
      tooLarge: true,
      error: `写真の画素数が大きすぎます（${size.width.toLocaleString("ja-JP")}×${size.height.toLocaleString("ja-JP")}ピクセル。${(PHOTO_MAX_PIXELS / 10_000).toLocaleString("ja-JP")}万画素まで）。長い辺が2,000ピクセル程度になるよう縮小してから、選び直してください。`,
    };
  }
  return { ok: true, width: size.width, height: size.height };
}

export const UNREADABLE_PHOTO = "この画像ファイルは壊れているか、途中で切れているため読み取れません。写真を撮り直すか、画像ソフトで保存し直してから選び直してください。";

const unreadable = (): PhotoSizeCheck => ({ ok: false, tooLarge: false, error: UNREADABLE_PHOTO });
