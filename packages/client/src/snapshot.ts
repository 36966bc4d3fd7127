/** `getVideoSnapshot`: the frame a `<video>` shows now, as a PNG data URL ('' before the first frame). */

/** A PNG data URL of the video's current frame at its decoded size, or '' when it shows no picture yet. */
export function snapshotVideo(video: HTMLVideoElement): string {
  const { videoWidth: width, videoHeight: height } = video;
  // HAVE_CURRENT_DATA: there is a frame to draw.
  if (!width || !height || video.readyState < 2) return '';
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  if (!context) return '';
  context.drawImage(video, 0, 0, width, height);
  return canvas.toDataURL('image/png');
}
