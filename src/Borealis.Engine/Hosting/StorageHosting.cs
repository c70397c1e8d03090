using System.Text.Json;
using Borealis.Volume;

namespace Borealis.Engine.Hosting;

/// <summary>
/// Opens the engine on real storage nodes: a <see cref="WriterVolume"/> from a volume layout
/// (the JSON a <see cref="FileVolumeLayoutStore"/> keeps), then the <see cref="Database"/>.
/// </summary>
public static class StorageHosting
{
    /// <summary>Reads a layout JSON file (as <see cref="SaveLayoutAsync"/> or a layout store writes it).</summary>
    public static async Task<VolumeLayout> LoadLayoutAsync(string path, CancellationToken ct = default)
    {
        await using var fs = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<VolumeLayout>(fs, cancellationToken: ct).ConfigureAwait(false)
            ?? throw new InvalidDataException($"{path}: empty layout");
    }

    public static async Task SaveLayoutAsync(VolumeLayout layout, string path, CancellationToken ct = default)
    {
        await using var fs = File.Create(path);
        await JsonSerializer.SerializeAsync(fs, layout, cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the volume as its writer (recovery: new epoch, VDL from read quorums, truncation)
    /// keeping the layout in <paramref name="layoutStoreDirectory"/>, then the database on it
    /// (the database owns and disposes the volume).
    /// </summary>
    public static async Task<Database> OpenDatabaseAsync(VolumeLayout layout, string layoutStoreDirectory, VolumeClientOptions? volumeOptions = null,
        DatabaseOptions? options = null, CancellationToken ct = default)
    {
        var store = new FileVolumeLayoutStore(layoutStoreDirectory);
        var volume = await WriterVolume.OpenAsync(layout, store, volumeOptions ?? new VolumeClientOptions(), ct: ct).ConfigureAwait(false);
        try
        {
            var o = options ?? new DatabaseOptions();
            return await Database.CreateOrOpenAsync(volume, new DatabaseOptions { BufferPoolPages = o.BufferPoolPages, Txn = o.Txn, OwnsVolume = true }, ct)
                .ConfigureAwait(false);
        }
        catch
        {
            await volume.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
