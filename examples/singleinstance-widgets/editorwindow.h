#ifndef EDITORWINDOW_H
#define EDITORWINDOW_H

#include <QtWidgets/qmainwindow.h>

class QListWidget;
class QPlainTextEdit;

// The primary's window: a text area and, beside it, the launches forwarded to it.
class EditorWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit EditorWindow(QWidget *parent = nullptr);

    // A later launch's command line: listed, and the window comes to the front.
    void addLaunch(const QStringList &arguments, const QString &workingDirectory);
    QListWidget *launches() const { return m_launches; }

private:
    QPlainTextEdit *m_editor;
    QListWidget *m_launches;
};

#endif  // EDITORWINDOW_H
