using System.CommandLine;
using System.Globalization;
using MlopsNotebooks.GitHub.Reporting;
using MlopsNotebooks.GitHub.Toolkit;

namespace MlopsNotebooks.Cli.Actions;

/// <summary>
/// <c>mlops action report</c>: the report action. It reads the report data the validate step wrote (on a fork's pull
/// request, downloaded from its artifact by a workflow_run job that never runs the pull request's code) and posts it.
/// </summary>
internal static class ReportCommands
{
    public static Command ActionReport()
    {
        var command = new Command("report", "The report action: post the report data on the pull request as one sticky comment and a check run.");
        command.SetAction(async (parse, _) =>
        {
            var actions = ActionRunner.FromProcess();
            return await InvokeAsync(Settings(actions), actions);
        });
        return command;
    }

    /// <summary>The report action's inputs. The token is masked as soon as it is read.</summary>
    private static ReportSettings Settings(ActionRunner actions)
    {
        var token = actions.Input("github-token") ?? throw new MlopsException("Input 'github-token' is missing.",
            "Pass github-token: ${{ secrets.GITHUB_TOKEN }}, with permissions pull-requests: write and checks: write.");
        actions.Mask(token);
        if (token.Any(char.IsControl))
        {
            throw new MlopsException("Input 'github-token' holds a line break or another control character, which no GitHub token has.",
                "Pass the token alone: github-token: ${{ secrets.GITHUB_TOKEN }}.");
        }
        var workspace = actions.Variable("GITHUB_WORKSPACE") ?? Directory.GetCurrentDirectory();
        var reportPath = Path.GetFullPath(actions.Input("report-path") ?? Path.Combine(".mlops", "report", "report.json"), workspace);
        return new ReportSettings(token, Directory.Exists(reportPath) ? Path.Combine(reportPath, "report.json") : reportPath,
            actions.Input("bot-login") ?? "github-actions[bot]", actions.BooleanInput("check-run", true));
    }

    /// <summary>Reads the report data, chooses the pull request (checking a claimed one's head), posts, sets the outputs.</summary>
    private static async Task<int> InvokeAsync(ReportSettings settings, ActionRunner actions)
    {
        if (!File.Exists(settings.ReportPath))
        {
            throw new NotFoundException($"There is no report data at {settings.ReportPath}.", "Run the validate step first (in the workflow_run job, download its mlops-report artifact) and pass report-path.");
        }
        var report = ReportData.Read(File.ReadAllText(settings.ReportPath), settings.ReportPath);
        var (target, claimed) = ReportTargets.Choose(actions, report.PullRequest);
        var reporter = new PullRequestReporter(actions, PullRequestReporter.Client(actions.Variable("GITHUB_API_URL") ?? "https://api.github.com", settings.Token));
        if (claimed)
        {
            await reporter.VerifyPullRequestAsync(target.Owner, target.Repository, target.PullRequest, target.HeadSha);
        }
        var outcome = await reporter.PostAsync(report, target, settings.BotLogin, settings.CheckRun);
        actions.SetOutput("comment-id", outcome.CommentId.ToString(CultureInfo.InvariantCulture));
        actions.SetOutput("comment-url", outcome.CommentUrl ?? "");
        actions.SetOutput("check-run-id", outcome.CheckRunId?.ToString(CultureInfo.InvariantCulture) ?? "");
        actions.SetOutput("passed", report.Passed ? "true" : "false");
        actions.Log($"{(outcome.Updated ? "Updated" : "Posted")} the report on pull request #{target.PullRequest}: {outcome.CommentUrl}");
        return MlopsCli.Ok;
    }
}

/// <summary>What the report action is asked: the token, the report data file, the bot whose comment is updated, whether to add a check run.</summary>
internal sealed record ReportSettings(string Token, string ReportPath, string BotLogin, bool CheckRun);
