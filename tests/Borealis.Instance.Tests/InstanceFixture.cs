using Npgsql;

namespace Borealis.Instance.Tests;

/// <summary>One in-process instance on a MemoryVolume per test class.</summary>
public sealed class InstanceFixture : IAsyncLifetime
{
    public WriterInstance Instance { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Instance = await WriterInstance.StartInMemoryAsync();
        ConnectionString = $"Host=127.0.0.1;Port={Instance.EndPoint.Port};Username=postgres;Database=postgres;ServerCompatibilityMode=NoTypeLoading;Pooling=false;Timeout=10;Command Timeout=30";
    }

    public async Task DisposeAsync() => await Instance.DisposeAsync();

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        return c;
    }
}
