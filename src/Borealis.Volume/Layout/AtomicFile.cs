namespace Borealis.Volume;

/// <summary>
/// Durable whole-file replacement for small metadata files (volume layouts, the embedded
/// cluster's state): write a temp file, fsync it, rename it over the target, fsync the
/// directory. A reader sees the old or the new file, never half of one, and after a crash the
/// rename is either there or not.
/// (The storage node has its own, <c>Durable.ReplaceFile</c>, because it injects faults and
/// turns off syncing in unit tests.)
/// </summary>
public static class AtomicFile
{
    public static void Replace(string path, ReadOnlySpan<byte> contents)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(contents);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        FsyncDirectory(dir);
    }

    private static void FsyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            using var handle = File.OpenHandle(dir, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.None);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // Some file systems do not allow opening a directory; the rename is still atomic.
        }
    }
}
