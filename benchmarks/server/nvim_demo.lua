-- Headless Neovim (0.7+) with `bn-lint server`: open a caller and its helper, wait for the helper's
-- cross-file BN101 (the caller's call as related information), apply a code action, see it go.
--   BN_LINT_PYTHON=python BN_LINT_PROJECT=<dir with src/train.py, src/cifar/engine.py> \
--     nvim --headless -u NONE -c "luafile benchmarks/server/nvim_demo.lua"
-- Prints one JSON line per step; exits 0 when every step passed.
local project = os.getenv("BN_LINT_PROJECT")
local python = os.getenv("BN_LINT_PYTHON") or "python3"
local out = {}
local function say(step, value) print(vim.fn.json_encode({step = step, value = value})); io.stdout:flush() end
local function fail(why) say("FAILED", why); vim.cmd("cquit 1") end

vim.cmd("cd " .. project)
vim.cmd("edit src/train.py")
local train = vim.api.nvim_get_current_buf()
vim.cmd("edit src/cifar/engine.py")
local engine = vim.api.nvim_get_current_buf()

local started = vim.loop.hrtime()
local client = vim.lsp.start_client({
  name = "bn-lint", cmd = {python, "-m", "bn_lint", "server"}, root_dir = project,
})
vim.lsp.buf_attach_client(train, client)
vim.lsp.buf_attach_client(engine, client)

local function bn101(buf) return vim.tbl_filter(function(d) return d.code == "BN101" end, vim.diagnostic.get(buf)) end
if not vim.wait(30000, function() return #bn101(engine) > 0 end, 20) then fail("no BN101 in engine.py") end
local d = bn101(engine)[1]
local lsp_diag = (d.user_data or {}).lsp or {}
say("engine.py diagnostic", {line = d.lnum + 1, col = d.col + 1, message = d.message,
    ms_after_start = (vim.loop.hrtime() - started) / 1e6, related = lsp_diag.relatedInformation})
if not lsp_diag.relatedInformation then fail("no relatedInformation") end

-- the code actions at the finding; the `# noqa` one applied as the editor would
local params = {textDocument = {uri = vim.uri_from_bufnr(engine)},
                range = {start = {line = d.lnum, character = 0}, ["end"] = {line = d.lnum, character = 0}},
                context = {diagnostics = {}}}
local replies = vim.lsp.buf_request_sync(engine, "textDocument/codeAction", params, 10000)
local actions = {}
for _, reply in pairs(replies or {}) do for _, a in ipairs(reply.result or {}) do table.insert(actions, a) end end
say("code actions", vim.tbl_map(function(a) return a.title end, actions))
local chosen = vim.tbl_filter(function(a) return a.title:find("noqa") end, actions)[1]
if not chosen then fail("no noqa action") end
local applied = vim.loop.hrtime()
vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
say("applied", vim.api.nvim_buf_get_lines(engine, d.lnum, d.lnum + 1, false)[1])
if not vim.wait(30000, function() return #bn101(engine) == 0 end, 10) then fail("BN101 still shown after the noqa") end
say("BN101 gone", {ms_after_edit = (vim.loop.hrtime() - applied) / 1e6})

-- the caller calls model.eval before the call (typed, unsaved), without parentheses: BN102 and its fix
vim.api.nvim_buf_set_lines(train, 13, 13, false, {"    model.eval"})
if not vim.wait(30000, function()
  return #vim.tbl_filter(function(x) return x.code == "BN102" end, vim.diagnostic.get(train)) > 0 end, 10) then
  fail("no BN102 in train.py") end
local fix_params = {textDocument = {uri = vim.uri_from_bufnr(train)},
                    range = {start = {line = 13, character = 0}, ["end"] = {line = 13, character = 0}},
                    context = {diagnostics = {}}}
local fixes = {}
for _, reply in pairs(vim.lsp.buf_request_sync(train, "textDocument/codeAction", fix_params, 10000) or {}) do
  for _, a in ipairs(reply.result or {}) do if not a.title:find("noqa") then table.insert(fixes, a) end end
end
if #fixes == 0 then fail("no quick fix for BN102") end
vim.lsp.util.apply_workspace_edit(fixes[1].edit, "utf-16")
say("quick fix applied", {title = fixes[1].title, line = vim.api.nvim_buf_get_lines(train, 13, 14, false)[1]})
if not vim.wait(30000, function()
  return #vim.tbl_filter(function(x) return x.code == "BN102" end, vim.diagnostic.get(train)) == 0 end, 10) then
  fail("BN102 still shown") end
say("done", true)
vim.lsp.stop_client(client)
vim.cmd("qall!")
