using Borealis.Engine.Catalog;
using Borealis.Redo;
using Borealis.Storage;
using Borealis.Volume;

namespace Borealis.Bench.Engine;

/// <summary>Six in-process storage nodes (two per AZ) and a writer volume on them.</summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly List<StorageNode> _nodes = [];
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "borealis-bench-engine-" + Guid.NewGuid().ToString("N")[..10]);

    public WriterVolume Volume { get; private set; } = null!;

    public static async Task<BenchCluster> StartAsync(uint pgCount, uint pagesPerPg)
    {
        var c = new BenchCluster();
        var infos = new List<NodeInfo>();
        for (uint i = 1; i <= 6; i++)
        {
            string az = $"az{(i + 1) / 2}";
            var node = await StorageNode.StartAsync(new StorageNodeOptions { NodeId = i, Az = az, DataDir = Path.Combine(c._dir, $"node{i}"), Listen = "127.0.0.1:0" });
            c._nodes.Add(node);
            infos.Add(new NodeInfo(i, az, $"127.0.0.1:{node.LocalEndPoint.Port}"));
        }
        var layout = VolumeLayout.Create(0xBE1C, pgCount, pagesPerPg, infos);
        c.Volume = await WriterVolume.OpenAsync(layout, new FileVolumeLayoutStore(Path.Combine(c._dir, "layout")), new VolumeClientOptions());
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        if (Volume is not null) await Volume.DisposeAsync();
        foreach (var n in _nodes) await n.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Counts the redo the engine appends (record bytes, headers included) on the way to the real volume.</summary>
public sealed class CountingVolume(IRedoVolume inner) : IRedoVolume
{
    private long _bytes, _records, _mtrs;
    private readonly long[] _byType = new long[256], _countByType = new long[256];

    public long Bytes => Interlocked.Read(ref _bytes);
    public long Records => Interlocked.Read(ref _records);
    public long Mtrs => Interlocked.Read(ref _mtrs);
    public ulong PageCount => inner.PageCount;
    public ulong Vdl => inner.Vdl;

    public ValueTask<ulong> AppendAsync(MiniTransaction mtr, CancellationToken ct = default)
    {
        Interlocked.Add(ref _bytes, mtr.ByteLength);
        Interlocked.Add(ref _records, mtr.Count);
        Interlocked.Increment(ref _mtrs);
        var recs = mtr.Records;
        while (recs.Length >= RedoRecord.HeaderSize)
        {
            int len = RedoRecord.Length(recs);
            if (len < RedoRecord.HeaderSize || len > recs.Length) break;
            byte t = (byte)RedoRecord.Type(recs);
            Interlocked.Add(ref _byType[t], len);
            Interlocked.Increment(ref _countByType[t]);
            recs = recs[len..];
        }
        return inner.AppendAsync(mtr, ct);
    }

    /// <summary>Bytes and counts per record type so far.</summary>
    public (long[] Bytes, long[] Counts) ByType() => ((long[])_byType.Clone(), (long[])_countByType.Clone());

    public ValueTask WaitDurableAsync(ulong lsn, CancellationToken ct = default) => inner.WaitDurableAsync(lsn, ct);
    public ValueTask ReadPageAsync(ulong pageNo, ulong asOfLsn, Memory<byte> destination, CancellationToken ct = default) =>
        inner.ReadPageAsync(pageNo, asOfLsn, destination, ct);
    public void SetMinReadPoint(ulong lsn) => inner.SetMinReadPoint(lsn);
}

/// <summary>pgbench's tables (scale 1 shape: 10 tellers, 1 branch; accounts as asked) in the engine's catalog.</summary>
public static class PgbenchSchema
{
    public static readonly ColumnDef[] Accounts =
        [new("aid", PgTypes.Int4), new("bid", PgTypes.Int4), new("abalance", PgTypes.Int4), new("filler", PgTypes.BpChar, 88)];
    public static readonly ColumnDef[] Tellers =
        [new("tid", PgTypes.Int4), new("bid", PgTypes.Int4), new("tbalance", PgTypes.Int4), new("filler", PgTypes.BpChar, 88)];
    public static readonly ColumnDef[] Branches =
        [new("bid", PgTypes.Int4), new("bbalance", PgTypes.Int4), new("filler", PgTypes.BpChar, 92)];
    public static readonly ColumnDef[] History =
        [new("tid", PgTypes.Int4), new("bid", PgTypes.Int4), new("aid", PgTypes.Int4), new("delta", PgTypes.Int4),
         new("mtime", PgTypes.Timestamp), new("filler", PgTypes.BpChar, 26)];
}
