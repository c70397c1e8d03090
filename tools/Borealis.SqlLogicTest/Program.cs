using System.CommandLine;
using System.Globalization;
using System.Text;
using Borealis.SqlLogicTest;
using Borealis.Testing;

// borealis-slt: runs sqllogictest scripts against any PostgreSQL-protocol server.
//   borealis-slt --connection "Host=127.0.0.1;Port=5432;Username=postgres" [--report FILE] [--min-pass 99.5] PATH...
//   borealis-slt --postgres PATH...      (against a throwaway PostgreSQL 15: checks the runner itself)
// PATH is a .test file or a directory (searched recursively for *.test). Exit 0 when the pass
// rate reaches --min-pass, 1 otherwise, 2 on usage errors.
var connection = new Option<string?>("--connection") { Description = "Npgsql connection string of the server under test." };
var postgres = new Option<bool>("--postgres") { Description = "Start a throwaway PostgreSQL 15 and run against it." };
var report = new Option<string?>("--report") { Description = "Write every failing record (file:line, SQL, reason) to this file." };
var minPass = new Option<double>("--min-pass") { Description = "Lowest acceptable pass rate in percent.", DefaultValueFactory = _ => 0 };
var timeout = new Option<int>("--timeout") { Description = "Statement timeout in seconds.", DefaultValueFactory = _ => 30 };
var paths = new Argument<string[]>("paths") { Description = ".test files or directories", Arity = ArgumentArity.OneOrMore };
var root = new RootCommand("Runs sqllogictest scripts over the PostgreSQL wire protocol.") { connection, postgres, report, minPass, timeout, paths };
root.SetAction(async (parse, ct) =>
{
    var files = new List<(string Path, string Name)>();
    foreach (var p in parse.GetValue(paths)!)
    {
        if (Directory.Exists(p))
            files.AddRange(Directory.EnumerateFiles(p, "*.test", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(f => (f, Path.Combine(Path.GetFileName(Path.GetFullPath(p).TrimEnd('/')), Path.GetRelativePath(p, f)))));
        else if (File.Exists(p)) files.Add((p, Path.GetFileName(p)));
        else { await Console.Error.WriteLineAsync($"error: {p} does not exist"); return 2; }
    }
    await using var pg = parse.GetValue(postgres) ? await LocalPostgres.StartAsync(null, ct) : null;
    string? target = pg?.ConnectionString ?? parse.GetValue(connection);
    if (target is null) { await Console.Error.WriteLineAsync("error: give --connection or --postgres"); return 2; }
    var runner = new SltRunner(target, TimeSpan.FromSeconds(parse.GetValue(timeout)));
    int records = 0, passed = 0;
    var failures = new List<Failure>();
    foreach (var (path, name) in files)
    {
        var r = await runner.RunFileAsync(path, name, ct);
        records += r.Records;
        passed += r.Passed;
        failures.AddRange(r.Failures);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {r.Passed}/{r.Records} passed ({Pct(r.Passed, r.Records):F2}%) in {r.Elapsed.TotalSeconds:F1} s"));
        foreach (var f in r.Failures.Take(5)) Console.WriteLine($"  FAIL {f.File}:{f.Line}: {Trim(f.Reason)}");
        if (r.Failures.Count > 5) Console.WriteLine($"  … {r.Failures.Count - 5} more failures in {name}");
    }
    double pct = Pct(passed, records);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"TOTAL: {passed}/{records} records passed ({pct:F2}%), {failures.Count} failed"));
    if (parse.GetValue(report) is { } reportPath)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# sqllogictest: {passed}/{records} passed ({pct:F2}%)");
        foreach (var f in failures)
            sb.AppendLine(CultureInfo.InvariantCulture, $"{f.File}:{f.Line}: {f.Reason}\n    {f.Sql.Replace("\n", "\n    ", StringComparison.Ordinal)}");
        await File.WriteAllTextAsync(reportPath, sb.ToString(), ct);
    }
    return pct >= parse.GetValue(minPass) ? 0 : 1;
});
return await root.Parse(args).InvokeAsync();

static double Pct(int a, int b) => b == 0 ? 100 : 100.0 * a / b;
static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;
