using System.Buffers.Binary;
using System.Collections.Concurrent;
using Borealis.Engine.Buffer;
using Borealis.Engine.Mtr;
using Borealis.Engine.Txn;
using Borealis.Redo;

namespace Borealis.Engine.Catalog;

/// <summary>A session's sequence state: currval per sequence and lastval (PostgreSQL keeps them per backend).</summary>
public sealed class SequenceSession
{
    internal readonly Dictionary<uint, long> CurrVals = [];
    internal long? LastVal;
}

/// <summary>
/// Sequences, with PostgreSQL's semantics: nextval/setval are not transactional (a rolled-back
/// transaction's values are gone); each sequence has its own page (<see cref="CatalogMeta"/>)
/// that a fetch logs <see cref="CatalogMeta.SeqLogVals"/> values ahead (SEQ_LOG_VALS), so most
/// fetches log nothing, and the logged change is durable before any value it covers is handed
/// out: after a crash the sequence resumes past every value handed out (skipping at most 32).
/// </summary>
public sealed partial class Catalog
{
    private sealed class SeqState
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public bool Loaded;
        public long Last;
        public long LogCount;
        public bool IsCalled;
    }

    private readonly ConcurrentDictionary<uint, SeqState> _seqs = new();

    /// <summary>CREATE SEQUENCE (PostgreSQL's defaults and checks).</summary>
    public async ValueTask<SequenceInfo> CreateSequenceAsync(Transaction tx, string? schema, string name, SequenceOptions? options = null,
        CancellationToken ct = default)
    {
        options ??= new SequenceOptions();
        if (options.Increment == 0) throw new CatalogException(CatalogErrors.InvalidParameterValue, "INCREMENT must not be zero");
        long min = options.MinValue ?? (options.Increment > 0 ? 1 : long.MinValue);
        long max = options.MaxValue ?? (options.Increment > 0 ? long.MaxValue : -1);
        if (min >= max) throw new CatalogException(CatalogErrors.InvalidParameterValue, $"MINVALUE ({min}) must be less than MAXVALUE ({max})");
        long start = options.Start ?? (options.Increment > 0 ? min : max);
        if (start < min) throw new CatalogException(CatalogErrors.InvalidParameterValue, $"START value ({start}) cannot be less than MINVALUE ({min})");
        if (start > max) throw new CatalogException(CatalogErrors.InvalidParameterValue, $"START value ({start}) cannot be greater than MAXVALUE ({max})");
        if (options.Cache < 1) throw new CatalogException(CatalogErrors.InvalidParameterValue, $"CACHE ({options.Cache}) must be greater than zero");

        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        uint ns = view.GetNamespace(schema);
        if (view.FindRelation(view.Namespaces[ns].Name, name) != 0)
            throw new CatalogException(CatalogErrors.DuplicateTable, $"relation \"{name}\" already exists");
        ulong page = await _alloc.AllocateAsync(ct).ConfigureAwait(false);
        using (var mtr = new EngineMtr(_pool))
        {
            var h = await mtr.CreatePageAsync(page, ct).ConfigureAwait(false);
            Span<byte> body = stackalloc byte[CatalogMeta.OffSeqIsCalled + 1 - CatalogMeta.OffKind];
            body.Clear();
            body[0] = (byte)PageKind.Catalog;
            body[1] = CatalogMeta.SubkindSequence;
            BinaryPrimitives.WriteInt64LittleEndian(body[(CatalogMeta.OffSeqLast - 16)..], start);
            CatalogMeta.WriteBytes(mtr, h, CatalogMeta.OffKind, body);
            await mtr.CommitAsync(ct).ConfigureAwait(false);
        }
        uint oid = await AllocateOidAsync(ct).ConfigureAwait(false);
        await InsertRowAsync(SystemTables.Class, xid, tx.CommandId, ct, (long)oid, name, (long)ns, (long)RelKind.Sequence, (long)page).ConfigureAwait(false);
        await InsertRowAsync(SystemTables.Sequence, xid, tx.CommandId, ct, (long)oid, start, options.Increment, max, min, options.Cache, options.Cycle)
            .ConfigureAwait(false);
        return (await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false)).Sequences[oid];
    }

    /// <summary>DROP SEQUENCE.</summary>
    public async ValueTask DropSequenceAsync(Transaction tx, string? schema, string name, CancellationToken ct = default)
    {
        var (xid, view) = await BeginDdlAsync(tx, ct).ConfigureAwait(false);
        var s = view.GetSequence(schema, name);
        await DeleteRowAsync(SystemTables.Sequence, view.SequenceRowTids[s.Oid], xid, tx.CommandId, ct).ConfigureAwait(false);
        await DeleteRowAsync(SystemTables.Class, view.ClassTids[s.Oid], xid, tx.CommandId, ct).ConfigureAwait(false);
        await ReloadOwnerViewAsync(tx, ct).ConfigureAwait(false);
    }

    /// <summary>nextval(): not transactional; 2200H when a non-cycling sequence is exhausted.</summary>
    public async ValueTask<long> NextValAsync(SequenceInfo seq, SequenceSession session, CancellationToken ct = default)
    {
        var st = _seqs.GetOrAdd(seq.Oid, _ => new SeqState());
        await st.Gate.WaitAsync(ct).ConfigureAwait(false);
        long value;
        try
        {
            if (!st.Loaded) await LoadSeqAsync(seq, st, ct).ConfigureAwait(false);
            value = st.IsCalled ? Step(seq, st.Last) : st.Last;
            if (st.LogCount > 0)
            {
                st.LogCount--;
            }
            else
            {
                // Log SEQ_LOG_VALS values ahead (fewer at the end of a non-cycling range), durable before use.
                long ahead = value;
                int n = 0;
                while (n < CatalogMeta.SeqLogVals && TryStep(seq, ahead, out long next)) { ahead = next; n++; }
                await WriteSeqAsync(seq, ahead, true, ct).ConfigureAwait(false);
                st.LogCount = n;
            }
            st.Last = value;
            st.IsCalled = true;
        }
        finally { st.Gate.Release(); }
        session.CurrVals[seq.Oid] = value;
        session.LastVal = value;
        return value;
    }

    /// <summary>currval(): 55000 if nextval was not called in this session.</summary>
    public static long CurrVal(SequenceInfo seq, SequenceSession session) =>
        session.CurrVals.TryGetValue(seq.Oid, out long v) ? v
            : throw new CatalogException(CatalogErrors.ObjectNotInPrerequisiteState, $"currval of sequence \"{seq.Name}\" is not yet defined in this session");

    /// <summary>lastval().</summary>
    public static long LastVal(SequenceSession session) => session.LastVal
        ?? throw new CatalogException(CatalogErrors.ObjectNotInPrerequisiteState, "lastval is not yet defined in this session");

    /// <summary>setval(seq, value, is_called): logged and durable before it returns; 22003 outside the range.</summary>
    public async ValueTask<long> SetValAsync(SequenceInfo seq, long value, bool isCalled, SequenceSession session, CancellationToken ct = default)
    {
        if (value < seq.MinValue || value > seq.MaxValue)
            throw new CatalogException(CatalogErrors.NumericValueOutOfRange,
                $"setval: value {value} is out of bounds for sequence \"{seq.Name}\" ({seq.MinValue}..{seq.MaxValue})");
        var st = _seqs.GetOrAdd(seq.Oid, _ => new SeqState());
        await st.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await WriteSeqAsync(seq, value, isCalled, ct).ConfigureAwait(false);
            st.Loaded = true;
            st.Last = value;
            st.IsCalled = isCalled;
            st.LogCount = 0;
        }
        finally { st.Gate.Release(); }
        if (isCalled)
        {
            session.CurrVals[seq.Oid] = value;
            session.LastVal = value;
        }
        return value;
    }

    private static long Step(SequenceInfo seq, long last) => TryStep(seq, last, out long next) ? next
        : throw new CatalogException(CatalogErrors.SequenceGeneratorLimitExceeded,
            $"nextval: reached {(seq.Increment > 0 ? "maximum" : "minimum")} value of sequence \"{seq.Name}\" ({(seq.Increment > 0 ? seq.MaxValue : seq.MinValue)})");

    private static bool TryStep(SequenceInfo seq, long last, out long next)
    {
        if (seq.Increment > 0 ? last > seq.MaxValue - seq.Increment : last < seq.MinValue - seq.Increment)
        {
            next = seq.Increment > 0 ? seq.MinValue : seq.MaxValue;
            return seq.Cycle;
        }
        next = last + seq.Increment;
        return true;
    }

    private async ValueTask LoadSeqAsync(SequenceInfo seq, SeqState st, CancellationToken ct)
    {
        using var h = await _pool.PinAsync(seq.Page, PageAccess.Normal, ct).ConfigureAwait(false);
        h.LatchShared();
        try
        {
            if (!CatalogMeta.IsSequence(h.Page)) throw new Heap.HeapCorruptedException($"page {seq.Page} is not the page of sequence {seq.Name}");
            st.Last = BinaryPrimitives.ReadInt64LittleEndian(h.Page[CatalogMeta.OffSeqLast..]);
            st.IsCalled = h.Page[CatalogMeta.OffSeqIsCalled] != 0;
            st.LogCount = 0;
            st.Loaded = true;
        }
        finally { h.UnlatchShared(); }
    }

    private async ValueTask WriteSeqAsync(SequenceInfo seq, long last, bool isCalled, CancellationToken ct)
    {
        ulong lsn;
        using (var mtr = new EngineMtr(_pool))
        {
            var h = await mtr.GetForWriteAsync(seq.Page, ct).ConfigureAwait(false);
            if (!CatalogMeta.IsSequence(h.Page)) throw new Heap.HeapCorruptedException($"page {seq.Page} is not the page of sequence {seq.Name}");
            Span<byte> b = stackalloc byte[CatalogMeta.OffSeqIsCalled + 1 - CatalogMeta.OffSeqLast];
            b.Clear();
            BinaryPrimitives.WriteInt64LittleEndian(b, last);
            b[^1] = isCalled ? (byte)1 : (byte)0;
            CatalogMeta.WriteBytes(mtr, h, CatalogMeta.OffSeqLast, b);
            lsn = await mtr.CommitAsync(ct).ConfigureAwait(false);
        }
        await _pool.Volume.WaitDurableAsync(lsn, ct).ConfigureAwait(false);
    }
}
