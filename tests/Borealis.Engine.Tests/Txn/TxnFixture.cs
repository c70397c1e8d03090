using Borealis.Engine.Buffer;
using Borealis.Engine.Space;
using Borealis.Engine.Txn;
using Borealis.Volume;

namespace Borealis.Engine.Tests.Txn;

/// <summary>A writer over a MemoryVolume: formatted volume, pool, allocator and transaction manager.</summary>
internal sealed class TxnFixture
{
    public required MemoryVolume Volume { get; init; }
    public required BufferPool Pool { get; init; }
    public required PageAllocator Alloc { get; init; }
    public required TxnManager Txm { get; init; }

    public static async Task<TxnFixture> CreateAsync(MemoryVolume? volume = null, TxnOptions? options = null, int frames = 64)
    {
        var vol = volume ?? new MemoryVolume(pageCount: 1 << 16);
        var pool = new BufferPool(vol, frames);
        var alloc = new PageAllocator(pool);
        await alloc.FormatAsync();
        var txm = await TxnManager.OpenAsync(pool, alloc, options);
        return new TxnFixture { Volume = vol, Pool = pool, Alloc = alloc, Txm = txm };
    }

    /// <summary>A new writer over the same volume (the old one is abandoned as if it crashed).</summary>
    public Task<TxnFixture> RestartAsync(TxnOptions? options = null) => CreateAsync(Volume, options);
}
