using System.Buffers;
using System.Globalization;
using Borealis.Redo;
using Microsoft.Win32.SafeHandles;

namespace Borealis.Storage;

/// <summary>One file of the hot log.</summary>
internal sealed class LogFile(int fileNo, string path, SafeFileHandle handle)
{
    public int FileNo { get; } = fileNo;
    public string Path { get; } = path;
    public SafeFileHandle Handle { get; } = handle;
    public FileStream? Writer { get; set; }
    public long Length { get; set; }

    /// <summary>Highest LSN this file holds per segment: the file may go once every segment's base passed it. Guarded by itself.</summary>
    public Dictionary<Segment, ulong> MaxLsn { get; } = [];

    public void Note(Segment seg, ulong lsn)
    {
        lock (MaxLsn)
        {
            if (!MaxLsn.TryGetValue(seg, out ulong m) || lsn > m) MaxLsn[seg] = lsn;
        }
    }
}

/// <summary>
/// The node's hot log: records of all segments in arrival order, exactly as received (each
/// keeps its own CRC), in files <c>log/NNNNNNNN.log</c> rolled at <see cref="StorageNodeOptions.LogFileSize"/>.
/// Each restart starts a new file, so a file is never appended to after a crash.
/// Threading: <see cref="Append"/> only from the group-commit writer thread; <see cref="Read"/>
/// from any thread (pread on a handle that stays open until the file is retired).
/// </summary>
internal sealed class HotLog : IDisposable
{
    private readonly string _dir;
    private readonly long _fileSize;
    private readonly Durable _durable;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<int, LogFile> _files = [];
    private readonly List<SafeFileHandle> _retired = [];
    private LogFile? _active;
    private int _nextFileNo = 1;

    public HotLog(string dir, long fileSize, Durable durable)
    {
        _dir = dir;
        _fileSize = fileSize;
        _durable = durable;
        Directory.CreateDirectory(dir);
    }

    public long TotalBytes
    {
        get
        {
            lock (_lock)
            {
                long n = 0;
                foreach (var f in _files.Values) n += f.Length;
                return n;
            }
        }
    }

    public int FileCount
    {
        get { lock (_lock) return _files.Count; }
    }

    public LogFile[] Files()
    {
        lock (_lock) return [.. _files.Values];
    }

    public delegate void RecordVisitor(LogFile file, long offset, ReadOnlySpan<byte> record);

    /// <summary>Result of scanning the log at start.</summary>
    public readonly record struct RecoveryStats(int Files, long Records, int CorruptSkipped, long TornBytesTruncated);

    /// <summary>
    /// Opens every log file and walks its records. A record that fails validation followed by a
    /// valid one (found by resynchronising byte by byte) is a corrupt middle: skipped. An invalid
    /// tail with nothing valid after it is torn: the file is truncated there.
    /// </summary>
    public RecoveryStats Recover(RecordVisitor visit)
    {
        int files = 0, corrupt = 0;
        long records = 0, torn = 0;
        var names = Directory.GetFiles(_dir, "*.log");
        Array.Sort(names, StringComparer.Ordinal);
        foreach (var path in names)
        {
            if (!int.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out int no)) continue;
            var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            var file = new LogFile(no, path, handle);
            long len = RandomAccess.GetLength(handle);
            if (len > int.MaxValue) throw new InvalidDataException($"log file {path} is larger than 2 GiB");
            byte[] data = ArrayPool<byte>.Shared.Rent((int)Math.Max(len, 1));
            try
            {
                int n = ReadFully(handle, 0, data.AsSpan(0, (int)len));
                var span = data.AsSpan(0, n);
                int pos = 0;
                while (pos < span.Length)
                {
                    int r = RedoRecord.Validate(span[pos..]);
                    if (r > 0)
                    {
                        visit(file, pos, span.Slice(pos, r));
                        records++;
                        pos += r;
                        continue;
                    }
                    int next = FindNextValid(span, pos + 1);
                    if (next < 0)
                    {
                        torn += span.Length - pos;
                        RandomAccess.SetLength(handle, pos);
                        span = span[..pos];
                        break;
                    }
                    corrupt++;
                    pos = next;
                }
                file.Length = span.Length;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(data);
            }
            lock (_lock) _files[no] = file;
            _nextFileNo = Math.Max(_nextFileNo, no + 1);
            files++;
        }
        return new RecoveryStats(files, records, corrupt, torn);
    }

    /// <summary>Offset of the next position at or after <paramref name="from"/> where a whole valid record starts, or -1.</summary>
    public static int FindNextValid(ReadOnlySpan<byte> data, int from)
    {
        for (int q = from; q + RedoRecord.HeaderSize <= data.Length; q++)
        {
            var s = data[q..];
            int len = RedoRecord.Length(s);
            if (len < RedoRecord.HeaderSize || len > s.Length || len > RedoRecord.MaxRecordSize) continue;
            if (RedoRecord.Validate(s) > 0) return q;
        }
        return -1;
    }

    /// <summary>
    /// Writes one group (whole records back to back) with one write and one fsync. Returns the file
    /// and offset of its first byte. Throws IOException when the disk fails (the caller goes read-only).
    /// </summary>
    public LogFile Append(ReadOnlySpan<byte> group, out long offset)
    {
        var f = _active;
        if (f is null || (f.Length > 0 && f.Length + group.Length > _fileSize)) f = Roll();
        offset = f.Length;
        RandomAccess.Write(f.Handle, group, offset);
        _durable.SyncData(f.Writer!);
        f.Length += group.Length;
        return f;
    }

    private LogFile Roll()
    {
        int no = _nextFileNo++;
        string path = Path.Combine(_dir, no.ToString("D8", CultureInfo.InvariantCulture) + ".log");
        var fs = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        var f = new LogFile(no, path, fs.SafeFileHandle) { Writer = fs };
        _durable.SyncDirectory(_dir);
        lock (_lock) _files[no] = f;
        _active = f;
        return f;
    }

    public bool IsActive(LogFile f) => ReferenceEquals(f, _active);

    /// <summary>Reads one record's bytes; false when the file is gone or short.</summary>
    public bool Read(int fileNo, long offset, Span<byte> dest)
    {
        LogFile? f;
        lock (_lock) _files.TryGetValue(fileNo, out f);
        if (f is null) return false;
        try
        {
            return ReadFully(f.Handle, offset, dest) == dest.Length;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// Unlinks a file whose records are all below their segments' bases. Its handle stays open
    /// until the next <see cref="DisposeRetired"/>, so a reader that picked an entry just before
    /// the base moved can still finish.
    /// </summary>
    public void Delete(LogFile f)
    {
        lock (_lock)
        {
            if (ReferenceEquals(f, _active)) return;
            _files.Remove(f.FileNo);
            _retired.Add(f.Handle);
        }
        File.Delete(f.Path);
        _durable.SyncDirectory(_dir);
    }

    public void DisposeRetired()
    {
        lock (_lock)
        {
            foreach (var h in _retired) h.Dispose();
            _retired.Clear();
        }
    }

    private static int ReadFully(SafeFileHandle h, long offset, Span<byte> dest)
    {
        int total = 0;
        while (total < dest.Length)
        {
            int n = RandomAccess.Read(h, dest[total..], offset + total);
            if (n <= 0) break;
            total += n;
        }
        return total;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var f in _files.Values)
            {
                f.Writer?.Dispose();
                f.Handle.Dispose();
            }
            _files.Clear();
            foreach (var h in _retired) h.Dispose();
            _retired.Clear();
        }
    }
}
