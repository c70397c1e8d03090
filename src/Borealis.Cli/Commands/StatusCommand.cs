using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Borealis.Cli.Cluster;
using Spectre.Console;

namespace Borealis.Cli.Commands;

/// <summary>`borealis status`: every process of the embedded cluster (storage nodes and the writer) — role, id, AZ, pid, port, state — checked live.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The cluster's data directory.", DefaultValueFactory = _ => UpCommand.DefaultDataDir() };
        var output = new Option<string>("--output") { Description = "table or json.", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "json");
        var cmd = new Command("status", "Show the processes of the embedded cluster.") { dataDir, output };
        cmd.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(dataDir)!, parse.GetValue(output)!, ct));
        return cmd;
    }

    private static async Task<int> RunAsync(string dataDir, string output, CancellationToken ct)
    {
        var files = new ClusterFiles(dataDir);
        var config = files.LoadConfig();
        if (config is null)
        {
            await Console.Error.WriteLineAsync($"error: no cluster in {files.DataDir} (start one with `borealis up --data-dir {dataDir}`)");
            return 2;
        }
        var state = files.LoadState();
        bool supervisorAlive = state is not null && Posix.IsAlive(state.SupervisorPid);
        var rows = new List<ProcessStatus>();
        var expected = config.StorageNodes.Select(n => (Role: "storage", Id: n.Id.ToString(CultureInfo.InvariantCulture), n.Az, n.Port)).ToList();
        if (config.Writer is { } w) expected.Add(("writer", w.Id.ToString(CultureInfo.InvariantCulture), "", w.Port));
        foreach (var n in expected)
        {
            var s = state?.Processes.FirstOrDefault(p => p.Role == n.Role && p.Id == n.Id);
            int pid = s?.Pid ?? 0;
            bool alive = supervisorAlive && Posix.IsAlive(pid);
            bool accepting = alive && await Supervisor.IsAcceptingAsync(n.Port, ct);
            var live = !supervisorAlive ? ProcessState.Stopped
                : s is null ? ProcessState.Stopped
                : accepting ? ProcessState.Running
                : alive ? ProcessState.Starting
                : s.State == ProcessState.Restarting ? ProcessState.Restarting : ProcessState.Failed;
            rows.Add(new ProcessStatus { Role = n.Role, Id = n.Id, Az = n.Az, Port = n.Port, Pid = alive ? pid : 0, State = live, Restarts = s?.Restarts ?? 0, StartedAt = s?.StartedAt, Log = s?.Log ?? "" });
        }
        if (output == "json")
        {
            Console.WriteLine(JsonSerializer.Serialize(new { dataDir = files.DataDir, supervisorPid = supervisorAlive ? state!.SupervisorPid : 0, processes = rows }, ClusterFiles.Json));
        }
        else
        {
            AnsiConsole.MarkupLine($"cluster in [bold]{Markup.Escape(files.DataDir)}[/]: supervisor {(supervisorAlive ? $"running (pid {state!.SupervisorPid})" : "not running")}");
            var table = new Table().AddColumns("role", "id", "az", "pid", "port", "state", "restarts");
            foreach (var r in rows)
                table.AddRow(r.Role, r.Id, r.Az.Length == 0 ? "-" : r.Az, r.Pid == 0 ? "-" : r.Pid.ToString(), r.Port.ToString(), r.State.ToString().ToLowerInvariant(), r.Restarts.ToString());
            AnsiConsole.Write(table);
        }
        return rows.All(r => r.State == ProcessState.Running) ? 0 : 3;
    }
}
