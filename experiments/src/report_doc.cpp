// The report's document model rendered as Markdown and as one self-contained HTML file.
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ss/exp/report.h"

namespace ss::app::report {
namespace {

std::string md_cell(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|') o += "\\|";
    else if (c == '\n') o += ' ';
    else o += c;
  }
  return o.empty() ? " " : o;
}

bool read_binary(const std::string& path, std::string* out, size_t max_bytes) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return false;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0 || size > max_bytes) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// A column is right-aligned when its cells look like numbers ("0.85", "> 3.2 (beyond sweep)", "—").
std::vector<bool> numeric_columns(const Block& b) {
  std::vector<bool> num(b.header.size(), true);
  for (size_t c = 0; c < b.header.size(); ++c) {
    if (c == 0) {
      num[c] = false;
      continue;
    }
    int seen = 0;
    for (auto& r : b.rows) {
      if (c >= r.size() || r[c].empty() || r[c] == " " || r[c] == "—") continue;
      const char ch = r[c][0];
      const bool looks = std::isdigit((unsigned char)ch) || ch == '-' || ch == '<' || ch == '>' || ch == '.';
      if (!looks) num[c] = false;
      ++seen;
    }
    if (seen == 0) num[c] = false;
  }
  return num;
}

const char* kCss = R"(
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;max-width:1180px;margin:0 auto;padding:1em 2em 4em;color:#1d1d1f;line-height:1.45}
h1{border-bottom:3px solid #333;padding-bottom:.2em}
h2{border-bottom:1px solid #bbb;padding-bottom:.15em;margin-top:2.2em}
h3{margin-top:1.6em;color:#333}
nav{background:#f4f4f6;border:1px solid #ddd;padding:.6em 1.2em;border-radius:6px}
nav ol{margin:.2em 0;columns:2}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}
th{background:#eef0f4}
td.l,th.l{text-align:left}
tr:nth-child(even) td{background:#fafafa}
pre{background:#f6f8fa;border:1px solid #ddd;padding:.8em;overflow-x:auto;font-size:.85em}
figure{margin:1em 0}
figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.85em;color:#555}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.4em .8em;margin:.6em 0}
.intro p{margin:.2em 0}
)";

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  o.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    o += t[v >> 18 & 63];
    o += t[v >> 12 & 63];
    o += t[v >> 6 & 63];
    o += t[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = (unsigned char)in[i] << 16;
    o += t[v >> 18 & 63];
    o += t[v >> 12 & 63];
    o += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    o += t[v >> 18 & 63];
    o += t[v >> 12 & 63];
    o += t[v >> 6 & 63];
    o += '=';
  }
  return o;
}

std::string to_markdown(const Document& doc) {
  std::ostringstream o;
  o << "# " << doc.title << "\n\n";
  for (auto& p : doc.intro) o << p << "\n\n";
  o << "Contents:\n\n";
  int i = 1;
  for (auto& s : doc.sections) o << i++ << ". [" << s.title << "](#" << s.id << ")\n";
  o << "\n";
  for (auto& s : doc.sections) {
    o << "<a id=\"" << s.id << "\"></a>\n\n## " << s.title << "\n\n";
    for (auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::Para: o << b.text << "\n\n"; break;
        case Block::Kind::Heading: o << "### " << b.text << "\n\n"; break;
        case Block::Kind::Note: o << "> **Note:** " << b.text << "\n\n"; break;
        case Block::Kind::Code: o << "```\n" << b.text << (b.text.empty() || b.text.back() != '\n' ? "\n" : "") << "```\n\n"; break;
        case Block::Kind::List:
          for (auto& it : b.items) o << "- " << it << "\n";
          o << "\n";
          break;
        case Block::Kind::Image: o << "![" << b.text << "](" << b.href << ")\n\n*" << b.text << "*\n\n"; break;
        case Block::Kind::Table: {
          if (b.header.empty()) break;
          o << "|";
          for (auto& h : b.header) o << " " << md_cell(h) << " |";
          o << "\n|";
          const auto num = numeric_columns(b);
          for (size_t c = 0; c < b.header.size(); ++c) o << (num[c] ? " --: |" : " :-- |");
          o << "\n";
          for (auto& r : b.rows) {
            o << "|";
            for (size_t c = 0; c < b.header.size(); ++c) o << " " << md_cell(c < r.size() ? r[c] : "") << " |";
            o << "\n";
          }
          o << "\n";
          break;
        }
      }
    }
  }
  return o.str();
}

std::string to_html(const Document& doc, bool embed_images) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>" << html_escape(doc.title) << "</title>\n<style>" << kCss << "</style>\n</head>\n<body>\n";
  o << "<h1>" << html_escape(doc.title) << "</h1>\n<div class=\"intro\">\n";
  for (auto& p : doc.intro) o << "<p>" << html_escape(p) << "</p>\n";
  o << "</div>\n<nav><b>Contents</b><ol>\n";
  for (auto& s : doc.sections) o << "<li><a href=\"#" << s.id << "\">" << html_escape(s.title) << "</a></li>\n";
  o << "</ol></nav>\n";
  for (auto& s : doc.sections) {
    o << "<section id=\"" << s.id << "\">\n<h2>" << html_escape(s.title) << "</h2>\n";
    for (auto& b : s.blocks) {
      switch (b.kind) {
        case Block::Kind::Para: o << "<p>" << html_escape(b.text) << "</p>\n"; break;
        case Block::Kind::Heading: o << "<h3>" << html_escape(b.text) << "</h3>\n"; break;
        case Block::Kind::Note: o << "<div class=\"note\">" << html_escape(b.text) << "</div>\n"; break;
        case Block::Kind::Code: o << "<pre>" << html_escape(b.text) << "</pre>\n"; break;
        case Block::Kind::List:
          o << "<ul>\n";
          for (auto& it : b.items) o << "<li>" << html_escape(it) << "</li>\n";
          o << "</ul>\n";
          break;
        case Block::Kind::Image: {
          std::string bytes, src = html_escape(b.href);
          if (embed_images && read_binary(b.file, &bytes, 16u << 20)) src = "data:image/png;base64," + base64(bytes);
          o << "<figure><img src=\"" << src << "\" alt=\"" << html_escape(b.text) << "\"><figcaption>"
            << html_escape(b.text) << "</figcaption></figure>\n";
          break;
        }
        case Block::Kind::Table: {
          if (b.header.empty()) break;
          const auto num = numeric_columns(b);
          o << "<table>\n<thead><tr>";
          for (size_t c = 0; c < b.header.size(); ++c) o << (num[c] ? "<th>" : "<th class=\"l\">") << html_escape(b.header[c]) << "</th>";
          o << "</tr></thead>\n<tbody>\n";
          for (auto& r : b.rows) {
            o << "<tr>";
            for (size_t c = 0; c < b.header.size(); ++c)
              o << (num[c] ? "<td>" : "<td class=\"l\">") << html_escape(c < r.size() ? r[c] : "") << "</td>";
            o << "</tr>\n";
          }
          o << "</tbody></table>\n";
          break;
        }
      }
    }
    o << "</section>\n";
  }
  o << "</body>\n</html>\n";
  return o.str();
}

}  // namespace ss::app::report
