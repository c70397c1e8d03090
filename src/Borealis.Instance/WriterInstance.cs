using System.Net;
using Borealis.Engine;
using Borealis.Engine.Hosting;
using Borealis.Engine.Vacuum;
using Borealis.PgWire.Server;
using Borealis.Sql.Execution;
using Borealis.Volume;

namespace Borealis.Instance;

/// <summary>
/// A writer instance: a <see cref="Database"/> on a volume, the SQL engine over it, and a
/// PostgreSQL wire-protocol server in front. <see cref="StartInMemoryAsync"/> runs on a
/// <see cref="MemoryVolume"/> (tests); <see cref="StartAsync(VolumeLayout, string, IPEndPoint, CancellationToken)"/>
/// opens real storage through <see cref="StorageHosting"/>.
/// </summary>
public sealed class WriterInstance : IAsyncDisposable
{
    private readonly VacuumWorker _vacuum;

    private WriterInstance(Database db, PgServer server, SqlEngine engine, VacuumWorker vacuum)
    {
        Database = db;
        Server = server;
        Engine = engine;
        _vacuum = vacuum;
    }

    public Database Database { get; }
    public PgServer Server { get; }
    public SqlEngine Engine { get; }
    public IPEndPoint EndPoint => Server.LocalEndPoint;

    /// <summary>An instance on a fresh in-memory volume, listening on <paramref name="endPoint"/> (port 0 = any free port on loopback).</summary>
    public static async Task<WriterInstance> StartInMemoryAsync(IPEndPoint? endPoint = null, CancellationToken ct = default)
    {
        var db = await Database.CreateOrOpenAsync(new MemoryVolume(), new DatabaseOptions { OwnsVolume = true }, ct);
        return Start(db, endPoint ?? new IPEndPoint(IPAddress.Loopback, 0));
    }

    /// <summary>An instance on real storage (the volume described by <paramref name="layout"/>).</summary>
    public static async Task<WriterInstance> StartAsync(VolumeLayout layout, string layoutStoreDirectory, IPEndPoint endPoint, CancellationToken ct = default)
    {
        var db = await StorageHosting.OpenDatabaseAsync(layout, layoutStoreDirectory, ct: ct);
        return Start(db, endPoint);
    }

    /// <summary>
    /// An instance on real storage whose server options (authentication, credentials, TLS,
    /// logging) are set by <paramref name="configureServer"/> before it starts listening.
    /// </summary>
    public static async Task<WriterInstance> StartAsync(VolumeLayout layout, string layoutStoreDirectory, IPEndPoint endPoint,
        VolumeClientOptions? volumeOptions, Action<PgServerOptions> configureServer, CancellationToken ct = default)
    {
        var db = await StorageHosting.OpenDatabaseAsync(layout, layoutStoreDirectory, volumeOptions, ct: ct);
        try
        {
            return Start(db, endPoint, configureServer);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    public static WriterInstance Start(Database db, IPEndPoint endPoint, Action<PgServerOptions>? configureServer = null)
    {
        // Autovacuum: every table the SQL engine opens reports its updates/deletes to the worker.
        var vacuum = new VacuumWorker(db.Txns, new Vacuumer(db.Txns));
        var engine = new SqlEngine(db) { TableOpened = vacuum.Register };
        var options = new PgServerOptions { EndPoint = endPoint, MaxConnections = 200 };
        configureServer?.Invoke(options);
        var server = new PgServer(options, new InstanceBackend(engine));
        server.Start();
        return new WriterInstance(db, server, engine, vacuum);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await _vacuum.DisposeAsync();
        await Database.DisposeAsync();
    }
}
