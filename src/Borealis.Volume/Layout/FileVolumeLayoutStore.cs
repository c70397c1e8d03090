using System.Text.Json;

namespace Borealis.Volume;

/// <summary>Where the writer keeps the volume layout (a JSON file for now, etcd later).</summary>
public interface IVolumeLayoutStore
{
    ValueTask<VolumeLayout?> LoadAsync(ulong volumeId, CancellationToken ct);
    /// <summary>Durably replaces the stored layout; returns only after it is on disk.</summary>
    ValueTask SaveAsync(VolumeLayout layout, CancellationToken ct);
}

/// <summary>
/// One JSON file per volume (<c>volume-{id:x16}.json</c>) in a directory. Saves are atomic:
/// write a temp file, fsync it, rename over the old one, fsync the directory.
/// Threading: concurrent saves of the same volume are serialised by a lock.
/// </summary>
public sealed class FileVolumeLayoutStore : IVolumeLayoutStore
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly string _dir;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public FileVolumeLayoutStore(string directory)
    {
        _dir = directory;
        Directory.CreateDirectory(directory);
    }

    public string PathOf(ulong volumeId) => Path.Combine(_dir, $"volume-{volumeId:x16}.json");

    public async ValueTask<VolumeLayout?> LoadAsync(ulong volumeId, CancellationToken ct)
    {
        string path = PathOf(volumeId);
        if (!File.Exists(path)) return null;
        await using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var layout = await JsonSerializer.DeserializeAsync<VolumeLayout>(fs, Json, ct)
            ?? throw new InvalidDataException($"{path}: empty layout");
        if (layout.VolumeId != volumeId || layout.Pgs.Length != layout.PgCount)
            throw new InvalidDataException($"{path}: layout does not describe volume {volumeId:x} consistently");
        return layout;
    }

    public async ValueTask SaveAsync(VolumeLayout layout, CancellationToken ct)
    {
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(layout, Json);
        await _gate.WaitAsync(ct);
        try
        {
            AtomicFile.Replace(PathOf(layout.VolumeId), bytes);
        }
        finally
        {
            _gate.Release();
        }
    }
}
