/** A file the user picked or dropped, with its path inside the picked folder. */
export interface PickedFile {
  path: string;
  file: File;
}

/** Files from a folder input (`webkitdirectory`), with their paths inside it. */
export function filesFromInput(list: FileList): PickedFile[] {
  return [...list].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** Files dropped on the page, folders walked, each with its path from the dropped item. */
export async function droppedFiles(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = [...transfer.items]
    .map((item) => item.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null);
  const files: PickedFile[] = [];
  for (const entry of entries) files.push(...(await walk(entry, "")));
  return files;
}

async function walk(entry: FileSystemEntry, prefix: string): Promise<PickedFile[]> {
  const path = `${prefix}${entry.name}`;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path, file }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  const nested = await Promise.all(children.map((child) => walk(child, `${path}/`)));
  return nested.flat();
}
