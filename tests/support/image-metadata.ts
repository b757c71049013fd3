// Builders for images carrying the metadata a phone camera writes, for the tests that check it is
// removed before a photo goes public.

// A real 2×2 baseline JPEG (JFIF), 331 bytes.
export const TINY_JPEG = Buffer.from(
  "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAACAAIBAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/ACv/2Q==",
  "base64",
);

// An APP1 Exif segment (little-endian TIFF) with IFD0 holding Orientation and an ImageDescription
// carrying `secret` (standing in for GPS position, owner, serial number).
export function exifSegment(orientation: number, secret: string): Buffer {
  const text = Buffer.from(`${secret}\0`, "latin1");
  const entries = 2;
  const ifdSize = 2 + entries * 12 + 4;
  const tiff = Buffer.alloc(8 + ifdSize + text.length);
  tiff.write("II", 0, "latin1");
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(entries, 8);
  tiff.writeUInt16LE(0x010e, 10); // ImageDescription, ASCII, stored after the IFD
  tiff.writeUInt16LE(2, 12);
  tiff.writeUInt32LE(text.length, 14);
  tiff.writeUInt32LE(8 + ifdSize, 18);
  tiff.writeUInt16LE(0x0112, 22); // Orientation, SHORT
  tiff.writeUInt16LE(3, 24);
  tiff.writeUInt32LE(1, 26);
  tiff.writeUInt16LE(orientation, 30);
  tiff.writeUInt32LE(0, 34);
  text.copy(tiff, 8 + ifdSize);
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

// `jpeg` with an Exif segment and a comment (COM) inserted right after its SOI marker.
export function jpegWithMetadata(jpeg: Buffer, orientation: number, secret: string): Buffer {
  const comment = Buffer.from(secret, "latin1");
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
  return Buffer.concat([jpeg.subarray(0, 2), exifSegment(orientation, secret), com, jpeg.subarray(2)]);
}
